"""Custom NLU components loaded by the Rasa server (see config.yml)."""
