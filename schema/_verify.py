"""`weldctl verify` in one function: is the store live, finalized, intact (checksums) and meaningful."""

from __future__ import annotations

from ._checksum import VerifyReport, has_checksums, verify_checksums
from ._errors import StoreError
from ._location import storage_errors, store_exists
from ._semantic import check_meaning
from ._store_layout import CHECKSUMS_DOC, is_url, local_path
from ._store_lock import check_not_live, unfinished_store
from ._store_reader import RunReader


def verify_run(uri: str) -> VerifyReport:
    """Checksums and meaning of a finalized store. Raises StoreError (exit 2 in the CLI) when there is nothing
    to verify yet, naming the reason: no store, a store being recorded, one never finalized."""
    with storage_errors(uri):
        if not store_exists(uri):
            where = uri if is_url(uri) else str(local_path(uri))
            raise StoreError(f"no run store at {where}", "check the run id or path; `ls runs/` lists recordings")
        check_not_live(uri)  # a live store: say who records it, and do not suggest recover
        reader = RunReader(uri)
        status = reader.manifest.status
        finalized = has_checksums(uri)
        if not finalized and (status == "recording" or unfinished_store(uri)):
            raise StoreError(f"{uri} was never finalized (status {status!r}): its recorder or finalize was stopped "
                             "before the end", f"run `weldctl recover {uri}` to finalize it")
        if not finalized:
            # Finalized once (no lock file left), manifest gone or unreadable: the store was changed since.
            try:
                verify_checksums(uri)
                why = f"its checksum manifest ({CHECKSUMS_DOC}) is gone"
            except StoreError as exc:
                why = exc.message if "corrupt" in exc.message else f"its checksum manifest ({CHECKSUMS_DOC}) is gone"
            report = VerifyReport(problems=[f"{why}: the store was changed after it was finalized ({status})"])
        else:
            report = verify_checksums(uri)
        try:
            report.problems.extend(check_meaning(reader))
        except StoreError as exc:  # e.g. files gone: the checksum part of the report lists them
            report.problems.append(exc.message)
    return report
