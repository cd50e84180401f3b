"""Settings of the mail doors, read from ``TOUSU_MAIL_*`` environment variables (the
command line of ``tousu mail`` overrides them):

- ``TOUSU_MAIL_IMAP_HOST``, ``_PORT`` (993 for ``ssl``, 143 otherwise), ``_USER``,
  ``_PASSWORD``, ``_FOLDER`` (INBOX): the mailbox ``tousu mail fetch`` reads.
- ``TOUSU_MAIL_IMAP_TLS``: ``ssl`` (TLS from the first byte, the default), ``starttls``,
  or ``none`` (refused unless the host is this machine: for tests).
- ``TOUSU_MAIL_IMAP_CA_FILE``: certificates to trust besides the system's.
- ``TOUSU_MAIL_IMAP_DONE_FOLDER``: where processed mails are moved ("" keeps them, seen).
- ``TOUSU_MAIL_IMAP_REFUSED_FOLDER``: where refused mails are moved ("" keeps them,
  seen and flagged).
- ``TOUSU_MAIL_SMTP_HOST`` (127.0.0.1), ``TOUSU_MAIL_SMTP_PORT`` (2525): where
  ``tousu mail serve`` listens.
- ``TOUSU_MAIL_MAX_BYTES``: the largest mail taken (25 MB).
- ``TOUSU_MAIL_CATEGORY``: the category key of complaints made from mail (the plan's
  first category without sub-categories when not given).
- ``TOUSU_MAIL_TRUSTED_AUTHSERV``: the authserv-id(s), comma-separated, of the
  organisation's own mail server, whose ``Authentication-Results`` field saying
  ``dmarc=pass`` for the sender's domain lets a mail that names a complaint join it
  without quoting its access code. Empty (the default): no such field is trusted. Set it
  only when that server removes fields with its authserv-id from the mail it receives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tousu.config import ConfigError, env_int, env_list, env_str

TLS_MODES = ("ssl", "starttls", "none")
DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    folder: str
    tls: str
    ca_file: str
    done_folder: str
    refused_folder: str
    timeout: int = 30


@dataclass(frozen=True)
class MailSettings:
    imap: ImapSettings
    smtp_host: str
    smtp_port: int
    max_bytes: int
    category: str
    trusted_authserv: tuple[str, ...] = ()

    def with_imap(self, **changes) -> MailSettings:
        """These settings with the IMAP ones given (None leaves one as it is)."""
        given = {name: value for name, value in changes.items() if value is not None}
        if given.get("tls", self.imap.tls) not in TLS_MODES:
            raise ConfigError(f"IMAP TLS must be one of {', '.join(TLS_MODES)}")
        return replace(self, imap=replace(self.imap, **given))


def mail_settings() -> MailSettings:
    """The settings as the environment gives them now."""
    tls = env_str("MAIL_IMAP_TLS", "ssl").strip().lower()
    if tls not in TLS_MODES:
        raise ConfigError(f"TOUSU_MAIL_IMAP_TLS: expected one of {', '.join(TLS_MODES)}")
    max_bytes = env_int("MAIL_MAX_BYTES", DEFAULT_MAX_BYTES)
    if max_bytes <= 0:
        raise ConfigError("TOUSU_MAIL_MAX_BYTES: expected a positive number of bytes")
    return MailSettings(
        imap=ImapSettings(
            host=env_str("MAIL_IMAP_HOST", ""),
            port=env_int("MAIL_IMAP_PORT", 993 if tls == "ssl" else 143),
            user=env_str("MAIL_IMAP_USER", ""),
            password=env_str("MAIL_IMAP_PASSWORD", ""),
            folder=env_str("MAIL_IMAP_FOLDER", "INBOX"),
            tls=tls,
            ca_file=env_str("MAIL_IMAP_CA_FILE", ""),
            done_folder=env_str("MAIL_IMAP_DONE_FOLDER", ""),
            refused_folder=env_str("MAIL_IMAP_REFUSED_FOLDER", ""),
        ),
        smtp_host=env_str("MAIL_SMTP_HOST", "127.0.0.1"),
        smtp_port=env_int("MAIL_SMTP_PORT", 2525),
        max_bytes=max_bytes,
        category=env_str("MAIL_CATEGORY", ""),
        trusted_authserv=tuple(item.lower() for item in env_list("MAIL_TRUSTED_AUTHSERV", [])),
    )
