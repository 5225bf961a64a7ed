"""Code that runs inside the Rasa server: settings, channel connectors, NLU components."""
