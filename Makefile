# Two commands do everything on a fresh clone: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help bootstrap seed train run shell test lint validate web browser

help:
	@echo "make run    install, seed, train if needed, start the three servers (a crashed one is restarted)"
	@echo "make test   the same set-up, then lint, data validation and every test"
	@echo "make train  retrain if data/config/domain changed (make train FORCE=1 to force)"
	@echo "make shell  talk to the running assistant (make run) in this terminal, through its REST channel"
	@echo "make scale  two Rasa servers + one action server on PostgreSQL + Redis"
	@echo "make eval / make bench   NLU quality and speed reports in reports/"
	@echo "make blend-sweep  the intent blender's settings scored on the looked-at test sets"
	@echo "make purge  delete conversations and case files older than RETENTION_DAYS (180); run it daily"

bootstrap:
	@scripts/bootstrap.sh

seed: bootstrap
	@scripts/seed.sh

train: seed
	@scripts/train.sh $(if $(FORCE),--force)

run: train web
	@scripts/run.sh

shell: bootstrap
	@source scripts/env.sh && python scripts/shell.py $(ARGS)

# Two Rasa servers + one action server on PostgreSQL and Redis (installed if missing).
.PHONY: scale
scale: train
	@scripts/scale.sh

lint: bootstrap
	@source scripts/env.sh && ruff check assistant_core bot actions tests web bench && mypy assistant_core bot actions web/serve.py

validate: bootstrap
	@source scripts/env.sh && rasa data validate --domain domain.yml --data data --config config.yml --fail-on-warnings

test: train lint validate web browser
	@source scripts/env.sh && pip check && python -m pytest tests

# The chat widget: npm ci (only when web/package-lock.json changed) + bundle into web/dist.
web:
	@scripts/web.sh

# Debian's Chromium and CJK/emoji fonts for the browser test (installed once, never downloaded by Playwright).
browser:
	@scripts/browser.sh

# Talk to the running bot through the WeChat channel like WeChat does (see docs/wechat.md):
#   make wechat-sim [MODE=plain|compat|safe] [BENCH=200]
.PHONY: wechat-sim
wechat-sim: bootstrap
	@source scripts/env.sh && python scripts/wechat_sim.py $(if $(MODE),--mode $(MODE)) $(if $(BENCH),--bench $(BENCH)) $(ARGS)

# Measured quality and speed: reports/nlu.md and reports/bench.md (+ PNGs).
# Quick runs pass flags through ARGS, e.g. make eval ARGS="--folds 2 --epochs 5" or
# make bench ARGS="--repeats 5 --load-seconds 5 --skip-training"; see --help of each script.
.PHONY: eval bench blend-sweep
eval: train
	@source scripts/env.sh && python scripts/eval_nlu.py $(ARGS)

# The blender's mask, C and weight against the looked-at test sets (never a sealed one).
blend-sweep: train
	@source scripts/env.sh && python -m bench.blend_sweep $(ARGS)

bench: train
	@source scripts/env.sh && python scripts/bench.py $(ARGS)

# Retention limit: delete conversations and case files older than RETENTION_DAYS (default 180).
# Schedule it daily (README, "Your users' records"); make purge ARGS="--dry-run" only counts.
.PHONY: purge
purge: bootstrap
	@source scripts/env.sh && python -m actions.retention purge $(ARGS)
