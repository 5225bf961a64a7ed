"""What both processes need, and nothing that needs Rasa: the seed model and its loader, settings,
masking, the clock and text helpers. `bot/` (the Rasa server) and `actions/` (the action server)
both import it; it imports neither of them, nor rasa or rasa_sdk (a test checks)."""
