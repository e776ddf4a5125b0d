"""The SCIM fixtures (`duecourse.testing.scim`)."""

from duecourse.testing.scim import scim, scim_token  # noqa: F401 (fixtures)
