"""Media in and out: what a file is, reading and writing it, and leaving no trace of where it came from.

- :mod:`~wardsafe.media.kinds`: file kind by suffix (``media_kind``) and by content (``sniff``).
- :mod:`~wardsafe.media.probe`: ``probe(path) -> MediaInfo``; refuses bad input with one clear line.
- :mod:`~wardsafe.media.image`: ``read_image`` (upright RGB), ``write_image`` (no metadata), ``image_metadata``.
- :mod:`~wardsafe.media.video`: decoding and encoding video frames with their timing and sound.
- :mod:`~wardsafe.media.metadata`: ``video_metadata`` and ``identifying_tags`` for MP4/MOV files.
- :mod:`~wardsafe.media.atomic`: ``atomic_output``, so a failed job leaves no output file.
- :mod:`~wardsafe.media.isobmff`: box headers of MP4/MOV/HEIC files (truncation, codec four-cc).
"""
