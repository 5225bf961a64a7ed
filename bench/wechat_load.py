"""WeChat under load: many followers writing at the same moment through the WeChat channel.

Reuses `make wechat-sim` (scripts/wechat_sim.py): its simulated WeChat signs and encrypts every push
(safe mode) exactly like WeChat and verifies each passive reply; its fake customer-service API on
loopback takes what the channel sends later, so nothing reaches WeChat.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List

import requests

from assistant_core.apology import service_unavailable_text
from scripts import wechat_sim

TOKEN = "4eJMmUoowGwaXWGhaOzRLQXd47fgHLpj"  # 32 random letters and digits: start-up refuses a weak token
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0bench000000001"
APP_SECRET = "bench-wechat-app-secret"
MODE = "safe"
REPORTS = ("我用支付宝充值失败了", "我的微信零钱被盗刷了", "京东钱包的客服一直不理我")


@dataclass
class Burst:
    """One burst: every follower's push sent at the same moment."""

    followers: int
    seconds: List[float] = field(default_factory=list)
    real_in_time: int = 0  # a passive reply with the answer (not `success`, not the apology) within 5 s
    deferred: int = 0  # `success`: the answer went through the customer-service API instead
    apologies: int = 0
    problems: List[str] = field(default_factory=list)

    @property
    def slowest(self) -> float:
        return max(self.seconds, default=float("nan"))


class WeChatBench:
    """The fake customer-service API and the settings the Rasa server's WeChat channel needs."""

    def __init__(self, api: wechat_sim.FakeCustomerServiceApi) -> None:
        self.api = api

    @classmethod
    def start(cls) -> "WeChatBench":
        api = wechat_sim.FakeCustomerServiceApi(
            APP_ID, APP_SECRET, on_message=lambda to, text: None, on_problem=lambda text: None, port=0
        )
        api.start()
        return cls(api)

    def stop(self) -> None:
        self.api.stop()

    def server_env(self) -> Dict[str, str]:
        """WECHAT_* for the Rasa server: the channel on, its API calls to the fake."""
        return {
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_ENCODING_AES_KEY": AES_KEY,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_API_BASE_URL": self.api.base_url,
        }

    def burst(self, rasa_url: str, followers: int) -> Burst:
        """`followers` new followers each send a complaint naming a wallet, all released by one barrier."""
        config = wechat_sim.SimSettings(TOKEN, AES_KEY, APP_ID, APP_SECRET, rasa_url + wechat_sim.WEBHOOK_PATH)
        apology = wechat_sim.protocol.split_text(service_unavailable_text())[0]
        run, result = secrets.token_hex(3), Burst(followers)
        barrier, lock = threading.Barrier(followers), threading.Lock()

        def follower(index: int) -> None:
            text = REPORTS[index % len(REPORTS)]
            openid = f"oBench{run}_{index:03d}"
            session = requests.Session()
            sim = wechat_sim.SimulatedWeChat(config, MODE, session)
            push = sim.text_message(openid, text)
            barrier.wait()
            reply = sim.push(push, openid)
            with lock:
                result.seconds.append(reply.seconds)
                if reply.problem:
                    result.problems.append(reply.problem)
                elif not reply.text:
                    result.deferred += 1
                elif reply.text == apology:
                    result.apologies += 1
                elif reply.seconds < wechat_sim.WECHAT_DEADLINE_SECONDS:
                    result.real_in_time += 1  # the answer's first part (the rest may follow through the API)

        with ThreadPoolExecutor(max_workers=followers) as pool:
            list(pool.map(follower, range(followers)))
        time.sleep(1)  # let answers still going through the API settle before the next phase
        return result
