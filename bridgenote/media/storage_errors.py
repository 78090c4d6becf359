"""Which storage failures are worth retrying.

S3 (through django-storages and boto3) fails in two ways: the service is briefly unwell
(connection refused or reset, timeouts, throttling, 5xx answers), where trying again later
works, and the request itself is wrong (access denied, no such bucket, bad keys), where it
never will. botocore already retries the first kind a few times within each request (the
"standard" retry mode set in ``conf.settings._s3_client_config``); this module tells the two
apart for what happens after that: a processing job retries later, an upload answers "try
again" and a misconfiguration is logged and shown as a problem on our side.
"""

from __future__ import annotations

import errno

TRANSIENT = "storage_unavailable"
PERMANENT = "storage_error"

# S3 error codes that mean "try again" (AWS's list, plus what S3-compatible stores answer).
TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "OperationAborted",
}
# Local disk errors that pass (a full disk is not one: it needs an operator).
TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT}


def classify(exc: BaseException) -> str | None:
    """``TRANSIENT``, ``PERMANENT``, or None when ``exc`` is not a storage failure.

    Follows the chain of causes: boto3's uploads (``upload_fileobj``, which django-storages
    uses) raise ``S3UploadFailedError`` from the botocore error that says what went wrong.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _classify_one(current)
        if kind is not None:
            return kind
        current = current.__cause__ or current.__context__
    return None


def _classify_one(exc: BaseException) -> str | None:
    from botocore import exceptions as boto  # imported late: only jobs that fail need it

    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(error.get("Code", ""))
        if code.isdigit():  # some stores put the HTTP status in the code
            status = status or int(code)
        if code in TRANSIENT_CODES or status == 429 or status >= 500:
            return TRANSIENT
        return PERMANENT
    # Connection refused or reset, DNS, read and connect timeouts (all subclasses).
    if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
        return TRANSIENT
    if isinstance(exc, boto.BotoCoreError):  # no credentials, bad parameters, …
        return PERMANENT
    if isinstance(exc, TimeoutError | ConnectionError):
        return TRANSIENT
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return TRANSIENT
    return None
