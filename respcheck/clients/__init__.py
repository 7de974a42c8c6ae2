"""Real clients (SDKs) replaying recorded answers, for the client verdict."""
