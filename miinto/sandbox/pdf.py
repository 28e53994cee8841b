"""A real, minimal PDF shipping label: one 4x6 inch page of Helvetica text, with a correct cross-reference table."""

from __future__ import annotations


def _pdf_text(text: str) -> bytes:
    # Helvetica here speaks Latin-1; anything else becomes "?" rather than breaking the file.
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("latin-1", "replace")


def label_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing `lines` from the top, the first one large."""
    content = [b"BT", b"/F1 18 Tf", b"24 400 Td", b"(" + _pdf_text(lines[0] if lines else "") + b") Tj", b"/F1 11 Tf"]
    for line in lines[1:]:
        content += [b"0 -20 Td", b"(" + _pdf_text(line) + b") Tj"]
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(out)
