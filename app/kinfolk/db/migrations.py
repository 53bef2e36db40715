"""Numbered schema migrations. Each entry upgrades ``user_version`` N-1 → N inside one transaction.

Never edit a migration that has shipped: append a new one. ``connection.open_library`` applies the
pending ones (after a backup of the file) and refuses a file whose version is newer than ``LATEST``.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the initial schema (DESIGN.md §4).
    """
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        added_at TEXT NOT NULL DEFAULT (datetime('now'))
    );

    -- One row per file found. status: 'ok' (faces stored for scan_model), 'error' (see error_reason).
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash TEXT,
        width INTEGER,
        height INTEGER,
        format TEXT,
        taken_at TEXT,
        taken_at_source TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        error_reason TEXT,
        error TEXT,
        scan_model TEXT,
        scanned_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE INDEX photos_hash ON photos(hash);
    CREATE INDEX photos_taken ON photos(taken_at);

    CREATE TABLE persons (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        hidden INTEGER NOT NULL DEFAULT 0,
        cover_face_id INTEGER REFERENCES faces(id) ON DELETE SET NULL,
        birth_date TEXT,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
    );

    -- state: 'unassigned' | 'auto' (matched above the auto threshold) | 'confirmed' (by the user)
    --        | 'ignored' (a hidden stranger group). person_id is set for 'auto' and 'confirmed'.
    -- cluster_id groups unassigned faces of one model; it is recomputed by every clustering run.
    CREATE TABLE faces (
        id INTEGER PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        landmarks BLOB NOT NULL,
        score REAL NOT NULL,
        quality REAL NOT NULL,
        model_id TEXT NOT NULL,
        embedding BLOB NOT NULL,
        cluster_id INTEGER,
        person_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
        state TEXT NOT NULL DEFAULT 'unassigned'
            CHECK (state IN ('unassigned', 'auto', 'confirmed', 'ignored')),
        match_similarity REAL,
        match_evidence TEXT
    );
    CREATE INDEX faces_photo ON faces(photo_id);
    CREATE INDEX faces_person ON faces(person_id);
    CREATE INDEX faces_model_state ON faces(model_id, state);
    CREATE INDEX faces_cluster ON faces(cluster_id);

    -- Ranked proposals "this face may be that person" awaiting the user's yes/no.
    CREATE TABLE suggestions (
        face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        similarity REAL NOT NULL,
        evidence TEXT,
        PRIMARY KEY (face_id, person_id)
    );
    CREATE INDEX suggestions_person ON suggestions(person_id, similarity);

    -- "Not this person": remembered across re-clustering and matching.
    CREATE TABLE face_rejections (
        face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
        person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
        PRIMARY KEY (face_id, person_id)
    );

    -- Face boxes of forgotten people: no biometric data, only where a face was, so that a rescan
    -- does not bring the person back.
    CREATE TABLE forgotten_faces (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL
    );
    CREATE INDEX forgotten_photo ON forgotten_faces(photo_id);

    -- Small JPEG crops of faces for the UI (biometric: deleted with the face).
    CREATE TABLE thumbnails (
        face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
        jpeg BLOB NOT NULL
    );

    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: "Not a face" (issue 14): boxes the user said hold no face (a dog, a pattern). The face row
    # is deleted (no embedding or crop is kept); a rescan does not store a detection on the box again.
    """
    CREATE TABLE not_faces (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL
    );
    CREATE INDEX not_faces_photo ON not_faces(photo_id);
    """,
]

LATEST = len(MIGRATIONS)
