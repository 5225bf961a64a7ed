"""Input channels mounted by the Rasa server (see credentials.yml)."""
