"""The Discord adapter: discord.py app commands, components, modals and threads."""
