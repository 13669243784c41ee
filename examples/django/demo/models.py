from django.db import models


class Note(models.Model):
    """A line left on the front page's form, kept in the SQLite database."""

    text = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return self.text
