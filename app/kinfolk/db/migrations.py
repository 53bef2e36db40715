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
    # 2: nothing is deleted because files are missing (issue 13). A photo not found in a present
    # folder is marked missing (``missing_since``) and keeps its faces; a root folder that is gone,
    # empty or unreadable is marked offline. Forget records match by content (``photo_hash``) and
    # outlive the photo row, so a copy or a returning file does not bring a forgotten person back.
    """
    ALTER TABLE photos ADD COLUMN missing_since TEXT;
    ALTER TABLE folders ADD COLUMN offline_since TEXT;
    ALTER TABLE folders ADD COLUMN offline_reason TEXT;

    CREATE TABLE forgotten_faces_v2 (
        photo_id INTEGER REFERENCES photos(id) ON DELETE SET NULL,
        photo_hash TEXT,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL
    );
    INSERT INTO forgotten_faces_v2(photo_id, photo_hash, x1, y1, x2, y2)
        SELECT f.photo_id, p.hash, f.x1, f.y1, f.x2, f.y2
        FROM forgotten_faces f LEFT JOIN photos p ON p.id = f.photo_id;
    DROP TABLE forgotten_faces;
    ALTER TABLE forgotten_faces_v2 RENAME TO forgotten_faces;
    CREATE INDEX forgotten_photo ON forgotten_faces(photo_id);
    CREATE INDEX forgotten_hash ON forgotten_faces(photo_hash);
    """,
    # 3: where a face's name came from, and face regions read from photo metadata.
    """
    -- 'imported': the face's person was set from a named region in the photo's metadata (XMP,
    -- .picasa.ini). Giving the face another person (or none) makes it 'detected' again.
    ALTER TABLE faces ADD COLUMN source TEXT NOT NULL DEFAULT 'detected'
        CHECK (source IN ('detected', 'imported'));
    CREATE TRIGGER faces_source_follows_person AFTER UPDATE OF person_id ON faces
        WHEN NEW.source = 'imported' AND NEW.person_id IS NOT OLD.person_id
    BEGIN
        UPDATE faces SET source = 'detected' WHERE id = NEW.id;
    END;

    -- Named regions read from metadata that did not name a face: no detected face under them
    -- ('unmatched'), or the user decided otherwise ('conflict', face_id = the face). Kept so that
    -- nothing read is lost; replaced for a photo each time its metadata is imported again.
    -- Boxes are in oriented full-size pixels, like faces.
    CREATE TABLE imported_regions (
        id INTEGER PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        origin TEXT NOT NULL,
        file TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('unmatched', 'conflict')),
        face_id INTEGER REFERENCES faces(id) ON DELETE SET NULL,
        detail TEXT
    );
    CREATE INDEX imported_regions_photo ON imported_regions(photo_id);

    -- XMP sidecars Kinfolk wrote, and the regions it owns in each (JSON [[name, x1, y1, x2, y2]],
    -- normalized, stored-image space), so a rewrite or a forget removes exactly those.
    CREATE TABLE xmp_sidecars (
        path TEXT PRIMARY KEY,
        photo_id INTEGER REFERENCES photos(id) ON DELETE SET NULL,
        regions TEXT NOT NULL,
        created INTEGER NOT NULL DEFAULT 0,
        written_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    """,
    # 4: "Not a face" (issue 14): boxes the user said hold no face (a dog, a pattern). The face row
    # is deleted (no embedding or crop is kept); a rescan does not store a detection on the box again.
    """
    CREATE TABLE not_faces (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL
    );
    CREATE INDEX not_faces_photo ON not_faces(photo_id);
    """,
    # 5: Stable covers: a person's card face is stored and stays put (before, a person without a
    # chosen cover showed their best face, which changed whenever a better one was matched). People
    # without a stored cover get their best confirmed face (else their best face) stored once.
    """
    UPDATE persons SET cover_face_id = (
        SELECT f.id FROM faces f WHERE f.person_id = persons.id
        ORDER BY f.state = 'confirmed' DESC, f.quality DESC, f.id LIMIT 1)
    WHERE cover_face_id IS NULL;
    """,
]

LATEST = len(MIGRATIONS)
