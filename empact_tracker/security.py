"""Content-Security-Policy header (Django 5.2 has none built in).

The policy is the ``CONTENT_SECURITY_POLICY`` setting (environment variable of the same name);
an empty value sends no header. ``CONTENT_SECURITY_POLICY_REPORT_ONLY=1`` sends it as
``Content-Security-Policy-Report-Only`` to try a stricter policy without breaking pages. A view
that sets its own header keeps it.
"""

from django.conf import settings

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy:
            header = HEADER
            if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False):
                header += "-Report-Only"
            if HEADER not in response and f"{HEADER}-Report-Only" not in response:
                response[header] = policy
        return response
