"""The public data files the product reads: their manifest, and fetching or checking a local copy.

``manifest.yaml`` lists every file with its size, sha256 and pinned official source;
``fetch.fetch`` downloads a verified copy and ``fetch.check`` verifies one already on disk.
"""
