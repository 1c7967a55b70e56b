"""`/config`: a server's own settings, over the deployment's defaults (the environment or the TOML file).

`/config show` lists the server's effective settings, each marked as the server's or the default, and its
watched channels; `/config set <setting> <value>` and `/config reset <setting>` change one, at once and for
good (the database keeps it; the bot's per-server cache is replaced on the spot). Values are checked by
bot.server_settings, which uses the same rules as the environment. For people with Manage Server only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.chat.answer import NO_MENTIONS
from bot.render.text import clip
from bot.server_settings import (
    CHOICES,
    SECONDS_SETTINGS,
    SERVER_SETTINGS,
    ServerSettings,
    decided_by,
    parse_value,
    shown,
    to_text,
)
from bot.settings import NO_ROLES, ROLE_SETTINGS, SettingsError

if TYPE_CHECKING:
    from bot.chat.app import KnownfixBot

log = logging.getLogger(__name__)

NOT_MANAGER = "You need the Manage Server permission to change or see this server's settings."
MESSAGE_MAX = 2000  # Discord's limit on a message's text
CHANNELS_SHOWN = 20  # watched channels listed by /config show; the rest are counted
CHOICES_MAX = 25  # Discord's limit on autocomplete choices
CHOICE_NAME_MAX = 100  # ... and on a choice's name
# Cooldowns offered by autocomplete, besides the current value: none, brisk, the defaults' range, slow.
SUGGESTED_SECONDS = ("0", "10", "30", "60", "300")
SETTING_CHOICES = [app_commands.Choice(name=name, value=name) for name in SERVER_SETTINGS]


def settings_text(server: ServerSettings, watched: list[str]) -> str:
    """What /config show prints: each setting, its value and whether the server set it, then the channels."""
    lines = ["Settings for this server (`server`: set with /config; `default`: the bot's configuration):"]
    for name in SERVER_SETTINGS:
        source = "server" if name in server.overridden else "default"
        line = f"• **{name}**: {shown(name, server.value(name))} ({source})"
        if name == "passive_level":
            line += f", decided by {decided_by(server)}"
        lines.append(line)
    lines.append("Watched channels (/watch): " + (", ".join(watched) if watched else "none"))
    return clip("\n".join(lines), MESSAGE_MAX)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Config(commands.GroupCog, group_name="config", group_description="This server's settings (Manage Server)"):
    def __init__(self, bot: KnownfixBot) -> None:
        self.bot = bot
        super().__init__()

    async def _watched(self, guild_id: int) -> list[str]:
        """This server's watched channels with their mode and where that comes from (/watch, or the settings)."""
        stored = await self.bot.store.watched_channels(guild_id)
        listed = [f"<#{channel_id}> {mode} (server)" for channel_id, mode in stored.items()]
        guild = self.bot.get_guild(guild_id)  # the settings list channel ids of every server: keep this one's
        here = [c for c in sorted(self.bot.settings.watch_channels) if guild is not None and guild.get_channel(c)]
        defaults = [c for c in here if c not in stored]
        listed += [f"<#{channel_id}> {self.bot.settings.watch_mode} (default)" for channel_id in defaults]
        if len(listed) > CHANNELS_SHOWN:
            listed = [*listed[:CHANNELS_SHOWN], f"and {len(listed) - CHANNELS_SHOWN} more"]
        return listed

    async def _reload(self, guild_id: int) -> ServerSettings:
        """Read the server's rows back and replace its cached settings: the change applies to the next message."""
        stored = await self.bot.store.server_settings(guild_id)
        return self.bot.servers.put(guild_id, stored.get(guild_id, {}))

    async def _say(self, interaction: discord.Interaction, text: str) -> None:
        # Privately, and never pinging: a value may be role mentions, an error may quote what was typed.
        await interaction.response.send_message(clip(text, MESSAGE_MAX), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="show", description="This server's settings and where each comes from")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        server = self.bot.servers.get(interaction.guild_id)
        await self._say(interaction, settings_text(server, await self._watched(interaction.guild_id)))

    @app_commands.command(name="set", description="Change one of this server's settings")
    @app_commands.describe(setting="The setting to change", value="Its new value for this server")
    @app_commands.choices(setting=SETTING_CHOICES)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def set_(self, interaction: discord.Interaction, setting: str, value: str) -> None:
        assert interaction.guild_id is not None
        try:
            parsed = parse_value(setting, value)
        except SettingsError as exc:
            await self._say(interaction, f"Not changed: {exc}.")
            return
        await self.bot.store.set_server_setting(
            interaction.guild_id, setting, to_text(setting, parsed), interaction.user.id
        )
        server = await self._reload(interaction.guild_id)
        log.info(
            "guild %s: %s set to %s by %s", interaction.guild_id, setting, to_text(setting, parsed), interaction.user.id
        )
        await self._say(interaction, f"**{setting}** is now {shown(setting, server.value(setting))} in this server.")

    @app_commands.command(name="reset", description="Put one of this server's settings back to the default")
    @app_commands.describe(setting="The setting to put back")
    @app_commands.choices(setting=SETTING_CHOICES)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def reset(self, interaction: discord.Interaction, setting: str) -> None:
        assert interaction.guild_id is not None
        had = await self.bot.store.reset_server_setting(interaction.guild_id, setting)
        server = await self._reload(interaction.guild_id)
        value = shown(setting, server.value(setting))
        text = (
            f"**{setting}** is back to the default, {value}."
            if had
            else f"**{setting}** was already the default, {value}."
        )
        await self._say(interaction, text)

    @set_.autocomplete("value")
    async def value_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Values for the chosen setting: its fixed choices, the server's roles, or common cooldowns."""
        setting = getattr(interaction.namespace, "setting", None)
        if not interaction.permissions.manage_guild or not isinstance(setting, str):
            return []
        typed = current.strip().lower()
        options: list[tuple[str, str]]  # (shown name, value)
        if setting in CHOICES:
            options = [(c, c) for c in CHOICES[setting]]
        elif setting in ROLE_SETTINGS and interaction.guild is not None:
            roles = [r for r in interaction.guild.roles if not r.is_default() and not r.managed]
            options = [(NO_ROLES, NO_ROLES)] + [(r.name, str(r.id)) for r in roles]
        elif setting in SECONDS_SETTINGS:
            now = to_text(setting, self.bot.servers.get(interaction.guild_id).value(setting))
            options = [(f"{s} s", s) for s in dict.fromkeys((now, *SUGGESTED_SECONDS))]
        else:
            return []
        matching = [(n, v) for n, v in options if typed in n.lower() or typed in v]
        return [app_commands.Choice(name=n[:CHOICE_NAME_MAX], value=v) for n, v in matching[:CHOICES_MAX]]

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.MissingPermissions) and not interaction.response.is_done():
            await interaction.response.send_message(NOT_MANAGER, ephemeral=True)
        # Anything else goes on to the tree's handler (bot.chat.errors), which answers it privately.


async def setup(bot: KnownfixBot) -> None:
    await bot.add_cog(Config(bot))
