"""Capture dates from file names, and file times shown as guesses (issue 14.6)."""

import os

import pytest
from PIL import Image

from kinfolk.core.imaging.imageio import read_capture_date
from kinfolk.core.imaging.photo_dates import date_from_filename, shown_date


@pytest.mark.parametrize("name, want", [
    ("IMG_20190712_143005.jpg", "2019-07-12T14:30:05"),
    ("PXL_20210101_235959123.jpg", "2021-01-01T23:59:59"),
    ("IMG-20190712-WA0003.jpg", "2019-07-12T00:00:00"),
    ("2019-07-12 14.30.05.jpg", "2019-07-12T14:30:05"),
    ("Screenshot_2019-07-12-14-30-05.png", "2019-07-12T14:30:05"),
    ("/photos/2018/20180230_101010.jpg", None),  # 30 February
    ("DSC01234.JPG", None),
    ("holiday 12345678.jpg", None),
    ("/2019-07-12/DSC0001.jpg", None),  # folders are not the photo's name
])
def test_date_from_filename(name, want):
    assert date_from_filename(name) == want


def test_scan_reads_the_name_before_the_file_time_and_file_times_are_guesses(tmp_path):
    p = tmp_path / "IMG_20190712_143005.jpg"
    Image.new("RGB", (8, 8)).save(p)
    assert read_capture_date(p) == ("2019-07-12T14:30:05", "filename")
    q = tmp_path / "copied.jpg"
    Image.new("RGB", (8, 8)).save(q)
    taken, source = read_capture_date(q)
    assert source == "file"
    assert shown_date(taken, source, str(q)) == (taken, True)
    assert shown_date("2026-11-30T04:53:00", "file", str(p)) == ("2019-07-12T14:30:05", False)
    assert shown_date("2001-02-03T04:05:06", "exif", str(q)) == ("2001-02-03T04:05:06", False)
    os.remove(q)


def test_xmp_dates_from_a_sidecar_beat_the_file_name(tmp_path):
    from kinfolk.core.imaging.photo_dates import date_from_xmp_text

    p = tmp_path / "IMG_20190712_143005.jpg"
    Image.new("RGB", (8, 8)).save(p)
    (tmp_path / "IMG_20190712_143005.jpg.xmp").write_text(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        'exif:DateTimeOriginal="2005-03-04T10:11:12+01:00"/></rdf:RDF></x:xmpmeta>')
    assert read_capture_date(p) == ("2005-03-04T10:11:12", "xmp")
    assert date_from_xmp_text("<photoshop:DateCreated>1999-12-31</photoshop:DateCreated>") == \
        "1999-12-31T00:00:00"
    assert date_from_xmp_text('xmp:CreateDate="0000-00-00T00:00:00"') is None
    assert shown_date("2005-03-04T10:11:12", "xmp", str(p)) == ("2005-03-04T10:11:12", False)
