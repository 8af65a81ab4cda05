"""A Pipecat bot for SmartAlex: bot.py."""
