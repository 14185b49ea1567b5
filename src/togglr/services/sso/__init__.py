"""Single sign-on: Togglr as a SAML 2.0 service provider for configured identity providers."""

from togglr.services.sso.providers import SamlProvider
from togglr.services.sso.service import ProviderLink, SpSettings, SsoService

__all__ = ["ProviderLink", "SamlProvider", "SpSettings", "SsoService"]
