"""Email: templates to RFC 5322 messages, and messages to SMTP (or the dev outbox).

Every message has a plain-text part and an HTML part whose styles are written inline (mail
clients drop <style> blocks and external CSS), built from templates/emails/<kind>.txt and
.html. Customer and model text is autoescaped in the HTML part; subjects are fixed strings,
so no customer text reaches a header.

Sending uses smtplib with STARTTLS or implicit TLS as SMTP_SECURITY says (never silently in
plain text when TLS was asked for), and logs in when SMTP_USER is set. Without SMTP_HOST
(development) each message is written to $COMPASS_DATA_DIR/outbox/ as an .eml file.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from compass import clock, files, templating
from compass.settings import Settings

SMTP_TIMEOUT_SECONDS = 30
PROBE_TIMEOUT_SECONDS = 10

SUBJECTS: dict[str, str] = {
    "payment_confirmation": "Payment received - your AI Readiness Compass report is being prepared",
    "report_ready": "Your AI Readiness Compass report is ready",
    "processing_failed": "Issue with your AI Readiness Compass order",
    "refund_processed": "Refund processed for your AI Readiness Compass order",
    "refund_denied": "About your refund request for your AI Readiness Compass order",
    "duplicate_payment_refunded": "You paid twice - we are refunding the second payment",
    "still_processing": "Your AI Readiness Compass report is still being prepared",
    "magic_link": "Your sign-in link for AI Readiness Compass",
    "login_invitation": "Signing in to AI Readiness Compass",
    "email_change": "Confirm your new email address for AI Readiness Compass",
    "revision_ready": "Your revised AI Readiness Compass report is ready",
    "daily_summary": "AI Readiness Compass daily summary",
    "ai_outage": "AI service refuses our calls - paid orders are on hold",
    "dispute_opened": "Payment disputed - evidence needed before the deadline",
    "dispute_closed": "Payment dispute closed",
    "referral_reward": "Thank you for the referral - a discount on your next report",
}
KINDS = frozenset(SUBJECTS)

# Inline styles for the HTML part, one place for all templates. Unquoted font names keep
# the attributes free of quotes; colours match the site.
STYLES: dict[str, str] = {
    "body": "margin:0;padding:0;background-color:#f4f7f6;",
    "outer": "width:100%;background-color:#f4f7f6;",
    "card": "width:100%;max-width:600px;background-color:#ffffff;border:1px solid #d5e3e1;"
            "border-radius:8px;",
    "header": "padding:20px 28px;background-color:#0f766e;border-radius:8px 8px 0 0;"
              "color:#ffffff;font-family:Helvetica,Arial,sans-serif;font-size:16px;"
              "font-weight:bold;",
    "content": "padding:24px 28px;font-family:Helvetica,Arial,sans-serif;font-size:16px;"
               "line-height:24px;color:#1c2b2a;",
    "h1": "margin:0 0 16px;font-family:Helvetica,Arial,sans-serif;font-size:22px;"
          "line-height:28px;color:#1c2b2a;",
    "h2": "margin:24px 0 8px;font-family:Helvetica,Arial,sans-serif;font-size:17px;"
          "line-height:22px;color:#115e59;",
    "p": "margin:0 0 16px;",
    "muted": "margin:0 0 12px;font-size:14px;line-height:20px;color:#52605f;",
    "facts": "width:100%;border-collapse:collapse;margin:0 0 20px;",
    "fact_label": "padding:6px 12px 6px 0;font-size:14px;color:#52605f;white-space:nowrap;"
                  "vertical-align:top;border-bottom:1px solid #e2ecea;",
    "fact_value": "padding:6px 0;font-size:15px;font-weight:bold;color:#1c2b2a;"
                  "vertical-align:top;border-bottom:1px solid #e2ecea;",
    "button_cell": "border-radius:8px;background-color:#0f766e;",
    "button": "display:inline-block;padding:12px 22px;font-family:Helvetica,Arial,sans-serif;"
              "font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;"
              "border-radius:8px;",
    "link": "color:#115e59;text-decoration:underline;",
    # A whole address written out: breaks anywhere, so a long one never widens the email.
    "url": "color:#115e59;text-decoration:underline;word-break:break-all;overflow-wrap:anywhere;",
    "list": "margin:0 0 16px;padding-left:22px;",
    "item": "margin:0 0 8px;",
    "notice": "margin:0 0 16px;padding:12px 14px;background-color:#fffbeb;"
              "border-left:4px solid #b45309;font-size:14px;line-height:20px;",
    "footer": "padding:16px 28px 24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;"
              "line-height:18px;color:#6b7775;",
    "preheader": "display:none;max-height:0;overflow:hidden;mso-hide:all;font-size:1px;"
                 "line-height:1px;color:#f4f7f6;",
}


class MailError(RuntimeError):
    """Sending failed; `permanent` says whether trying again could help, `unreachable`
    that no server answered (so the next try should come as soon as one does)."""

    def __init__(self, message: str, *, permanent: bool = False, unreachable: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def subject_for(kind: str, context: dict) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}; expected one of {', '.join(sorted(KINDS))}")
    if kind == "daily_summary" and context.get("day"):
        return f"{SUBJECTS[kind]} for {context['day']}"
    return SUBJECTS[kind]


def render_bodies(kind: str, context: dict) -> tuple[str, str]:
    """(plain text, HTML) of one email."""
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    full = {"style": STYLES, **context}
    text = templating.render(f"emails/{kind}.txt", **full)
    html = templating.render(f"emails/{kind}.html", **full)
    return text, html


def compose(kind: str, *, to: str, context: dict, settings: Settings, message_id: str,
            subject: str | None = None,
            attachments: Sequence[Attachment] = ()) -> EmailMessage:
    """The whole message: text and HTML alternatives, then the attachments."""
    address = parseaddr(to)[1]
    if not address or "@" not in address or re.search(r"[\r\n]", to):
        raise MailError(f"not a usable recipient address: {to!r}", permanent=True)
    text, html = render_bodies(kind, context | {"support_email": support_address(settings),
                                                "base_url": settings.BASE_URL.rstrip("/"),
                                                "business": settings.business})
    message = EmailMessage()
    message["From"] = settings.MAIL_FROM
    message["To"] = to
    message["Subject"] = subject or subject_for(kind, context)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Reply-To"] = support_address(settings)
    # RFC 3834: automatic mail, so auto-responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Compass-Email"] = kind
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype=attachment.maintype,
                               subtype=attachment.subtype, filename=attachment.filename)
    return message


def support_address(settings: Settings) -> str:
    return parseaddr(settings.MAIL_FROM)[1] or settings.MAIL_FROM


def message_id_for(key: str, settings: Settings) -> str:
    """A Message-ID that stays the same for every attempt at one email."""
    domain = support_address(settings).rpartition("@")[2] or "compass.localhost"
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '-', key)}@{domain}>"


# -- transport --------------------------------------------------------------------------------

def send(message: EmailMessage, settings: Settings, *, kind: str, reference: str) -> str:
    """Deliver the message; returns where it went ('smtp:HOST' or the outbox file's path).

    Raises MailError. When this returns, the SMTP server has accepted the message; nothing
    after acceptance (such as a failing QUIT) can make it raise.
    """
    if not settings.SMTP_HOST:
        return str(write_outbox(message, settings.outbox_dir, kind=kind, reference=reference))
    _smtp_send(message, settings)
    return f"smtp:{settings.SMTP_HOST}"


def write_outbox(message: EmailMessage, outbox: Path, *, kind: str, reference: str) -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    safe = re.sub(r"[^A-Za-z0-9-]", "-", reference)[:60] or "none"
    path = outbox / f"{stamp}-{kind}-{safe}.eml"
    files.write_atomically(path, bytes(message))
    return path


def _smtp_send(message: EmailMessage, settings: Settings) -> None:
    assert settings.SMTP_HOST is not None
    context = ssl.create_default_context()
    try:
        if settings.SMTP_SECURITY == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.SMTP_HOST, settings.SMTP_PORT,
                                                    timeout=SMTP_TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT,
                                  timeout=SMTP_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"cannot connect to {settings.SMTP_HOST}:{settings.SMTP_PORT}: "
                        f"{_describe(exc)}", unreachable=True) from exc
    try:
        client.ehlo()
        if settings.SMTP_SECURITY == "starttls":
            # Raises SMTPNotSupportedError when the server offers no STARTTLS: we never fall
            # back to sending in the clear.
            client.starttls(context=context)
            client.ehlo()
        if settings.SMTP_USER:
            password = settings.SMTP_PASSWORD.get_secret_value() if settings.SMTP_PASSWORD else ""
            client.login(settings.SMTP_USER, password)
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailError(f"recipient refused: {codes}",
                        permanent=all(code >= 500 for code in codes)) from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise MailError(f"message refused: {_describe(exc)}",
                        permanent=exc.smtp_code >= 500) from exc
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        raise MailError(_describe(exc), unreachable=True) from exc
    except smtplib.SMTPException as exc:
        raise MailError(_describe(exc)) from exc
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def probe(settings: Settings) -> bool:
    """Does the SMTP server answer (connect, EHLO, NOOP)? Always yes for the dev outbox."""
    if not settings.SMTP_HOST:
        return True
    try:
        if settings.SMTP_SECURITY == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.SMTP_HOST, settings.SMTP_PORT, timeout=PROBE_TIMEOUT_SECONDS,
                context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.SMTP_HOST, settings.SMTP_PORT,
                                  timeout=PROBE_TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException):
        return False
    try:
        client.ehlo()
        return client.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _describe(exc: BaseException) -> str:
    # Never the message or the credentials: the class and the server's words only.
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__} {exc.smtp_code}: {detail[:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"
