"""A fake Discord (REST API + gateway) for end-to-end tests of the real bot process. Test-only."""

from tests.fakediscord.process import BotProcess
from tests.fakediscord.server import Call, FakeDiscord, FakeDiscordError, Interaction, StoredMessage, Upload

__all__ = ["BotProcess", "Call", "FakeDiscord", "FakeDiscordError", "Interaction", "StoredMessage", "Upload"]
