"""Renderers a reply model goes through that need no Discord: the terminal text, and the text helpers they
share. The Discord embed is built next to the layer that sends it (bot.chat.embed)."""
