"""samskap: a chat-bot that keeps a teachers' learning network learning between its meetings."""
