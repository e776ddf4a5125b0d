from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What the provider says about a user besides the email (User.username and User.email are the email)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    subject = models.CharField(max_length=64, unique=True)  # the `sub` claim: opaque, like a real provider's
    name = models.CharField(max_length=200, blank=True)
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=200, blank=True)
    manager_email = models.CharField(max_length=254, blank=True)
    email_verified = models.BooleanField(default=True)

    def __str__(self):
        return self.user.email
