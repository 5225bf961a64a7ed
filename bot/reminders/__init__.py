"""Follow-up reminders on the Rasa server's side: the durable scheduler and its delivery."""
