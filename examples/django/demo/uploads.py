"""An upload handler that hashes each uploaded file as the request body streams
in, and keeps none of its content: neither in memory nor in a temporary file
(Django's default handlers do one or the other)."""

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class HashedFile(UploadedFile):
    """What request.FILES holds for an upload seen by HashingUploadHandler:
    its name, type and size, and the sha256 of its content (but no content)."""

    def __init__(self, name, content_type, size, charset, sha256):
        super().__init__(None, name, content_type, size, charset)
        self.sha256 = sha256


class HashingUploadHandler(FileUploadHandler):
    # Django's parser hands over the body in chunks of this size (its default, 64 KiB).
    chunk_size = 64 * 1024

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self.digest.update(raw_data)
        return None  # consumed: no later handler sees this chunk

    def file_complete(self, file_size):
        return HashedFile(self.file_name, self.content_type, file_size, self.charset,
                          self.digest.hexdigest())
