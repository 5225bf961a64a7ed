"""The action server: custom actions and the knowledge store they answer from."""
