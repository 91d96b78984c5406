"""Notifications in the admin: each user's own list (read, mark read), their settings, and the hub's
webhooks with their delivery log and a "send test event" button.

Who sees what is `notifications.access`'s answer (built on `oap.access`): one's own notifications
only (through `services.notifications_of`), webhooks for the hub (`can_manage_webhooks`). Every notification is
rendered for its reader at the moment it is shown (`rendering.render`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from oap import access
from oap.admin.base import ScopedModelAdmin

from . import services
from .access import can_manage_webhooks
from .choices import WEBHOOK_EVENTS, Kind, Mode
from .models import Notification, Webhook, WebhookDelivery
from .rendering import render
from .webhooks import check_url, new_secret, send_test_event

PAGE_SIZE = 50


def _staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return (("no", _("Unread")), ("yes", _("Read")))

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    """A user's own notifications: the admin's list to read them and mark them read (each rendered
    for its reader as it is shown), a page per notification, and the user's settings."""

    list_display = ("created_at", "message", "state")
    list_display_links = None
    list_filter = (ReadFilter, "kind")
    list_per_page = PAGE_SIZE
    actions = ("mark_read", "mark_unread")
    change_list_template = "admin/notifications/notification/change_list.html"

    def get_queryset(self, request):
        return services.notifications_of(request.user).select_related("event", "period")

    def has_module_permission(self, request):
        return _staff(request)

    def has_view_permission(self, request, obj=None):
        return _staff(request) and (obj is None or obj.user_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("settings/", self.admin_site.admin_view(self.settings_view), name=f"{info}_settings"),
            path("read-all/", self.admin_site.admin_view(self.read_all_view), name=f"{info}_read_all"),
            *super().get_urls(),
        ]

    def get_changelist_instance(self, request):
        """The page's notifications, rendered at once for their reader (a few queries per page)."""
        changelist = super().get_changelist_instance(request)
        for notification, item in zip(
            changelist.result_list, render(request.user, changelist.result_list), strict=True
        ):
            notification.item = item
        return changelist

    @admin.display(description=_("notification"))
    def message(self, obj):
        item = obj.item
        subject = format_html('<a href="{}">{}</a>', item.url, item.subject) if item.url else item.subject
        link = reverse("admin:notifications_notification_change", args=[obj.pk])
        lines = format_html_join("", "<br>{}", ((line,) for line in item.lines))
        return format_html('<strong>{}</strong>{} <a href="{}" class="open">(open)</a>', subject, lines, link)

    @admin.display(description=_("read"), ordering="read_at")
    def state(self, obj):
        return _("read") if obj.read_at else format_html("<strong>{}</strong>", _("unread"))

    @admin.action(description=_("Mark the selected notifications read"))
    def mark_read(self, request, queryset):
        changed = services.mark_read(user=request.user, ids=queryset.values_list("pk", flat=True))
        messages.success(request, f"{changed} notification{'s' * (changed != 1)} marked read.")

    @admin.action(description=_("Mark the selected notifications unread"))
    def mark_unread(self, request, queryset):
        changed = services.mark_read(user=request.user, ids=queryset.values_list("pk", flat=True), read=False)
        messages.success(request, f"{changed} notification{'s' * (changed != 1)} marked unread.")

    def changelist_view(self, request, extra_context=None):
        unread = services.notifications_of(request.user).unread().count()
        extra = {"title": "Your notifications", "unread": unread, **(extra_context or {})}
        return super().changelist_view(request, extra)

    def read_all_view(self, request):
        if request.method == "POST" and self.has_view_permission(request):
            changed = services.mark_read(user=request.user)
            messages.success(request, f"{changed} notification{'s' * (changed != 1)} marked read.")
        return HttpResponseRedirect(reverse("admin:notifications_notification_changelist"))

    def _context(self, request, **extra) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, **extra}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        notification = self.get_queryset(request).filter(pk=unquote(object_id)).first()
        if notification is None:
            raise Http404("Notification not found.")
        if request.method == "POST":
            services.mark_read(
                user=request.user, ids=[notification.pk], read=request.POST.get("read", "1") == "1"
            )
            return HttpResponseRedirect(request.get_full_path())
        item = render(request.user, [notification])[0]
        context = self._context(request, title=item.subject, item=item, notification=notification)
        return TemplateResponse(request, "notifications/detail.html", context)

    def settings_view(self, request):
        if not self.has_view_permission(request):
            raise Http404("Not found.")
        form = SettingsForm(request.POST or None, initial=services.modes_of(request.user))
        if request.method == "POST" and form.is_valid():
            services.set_modes(user=request.user, modes=form.cleaned_data)
            messages.success(request, "Your notification settings are saved.")
            return HttpResponseRedirect(request.path)
        context = self._context(
            request, title="Your notification settings", form=form, email=request.user.email
        )
        return TemplateResponse(request, "notifications/settings.html", context)


class SettingsForm(forms.Form):
    """One choice per kind: immediately, in the daily digest, or off."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[kind] = forms.ChoiceField(label=label, choices=Mode.choices, widget=forms.RadioSelect)


# --- webhooks (the hub) -----------------------------------------------------------------------


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=_("endpoint"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address of a public host."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(str(kind), kind.label) for kind in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sent only when the organisation may see what the event is about."),
    )

    class Meta:
        model = Webhook
        fields = ("organisation", "url", "secret", "events", "active", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the secret is never shown again; empty keeps it
            self.fields["secret"].required = False
            self.fields["secret"].widget = forms.PasswordInput(render_value=False)
            self.fields["secret"].help_text = _(
                "Leave empty to keep the current secret; type a new one to change it."
            )
        else:
            self.fields["secret"].initial = new_secret()
            self.fields["secret"].help_text = _(
                "A new random secret: copy it to the receiver now (it is not shown again), or type one agreed with it."
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check_url(url)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict.get("url", error.messages)) from error
        return url

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if not secret and self.instance.pk:
            return self.instance.secret
        if len(secret) < 16:
            raise forms.ValidationError("Use at least 16 characters, ideally the random one offered.")
        return secret


class HubOnlyMixin:
    """The hub's admins: every page needs `can_manage_webhooks`, and for anyone else a webhook or a
    delivery does not exist (the rows come through the access rule, so a hidden id answers like a
    missing one on every page, its history included)."""

    def _hub(self, request) -> bool:
        return can_manage_webhooks(request.user)

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, "view")

    def has_module_permission(self, request):
        return self._hub(request)

    def has_view_permission(self, request, obj=None):
        return self._hub(request)


@admin.register(Webhook)
class WebhookAdmin(HubOnlyMixin, ScopedModelAdmin):
    form = WebhookForm
    list_display = ("organisation", "url", "active", "description")
    list_filter = ("active",)
    list_select_related = ("organisation",)
    search_fields = ("organisation__code", "organisation__name", "url", "description")
    autocomplete_fields = ("organisation",)
    change_form_template = "admin/notifications/webhook/change_form.html"

    def has_add_permission(self, request):
        return self._hub(request)

    def has_change_permission(self, request, obj=None):
        return self._hub(request)

    def has_delete_permission(self, request, obj=None):
        return self._hub(request)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name=f"{info[0]}_{info[1]}_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, object_id):
        webhook = (
            self.get_queryset(request).filter(pk=unquote(object_id)).first() if self._hub(request) else None
        )
        if webhook is None:
            raise Http404("Webhook not found.")
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:notifications_webhook_change", args=[webhook.pk]))
        send_test_event(webhook=webhook, by=request.user)
        messages.success(
            request, f"A test event is on its way to {webhook.url}; its delivery is listed below."
        )
        url = reverse("admin:notifications_webhookdelivery_changelist")
        return HttpResponseRedirect(f"{url}?webhook__id__exact={webhook.pk}")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(HubOnlyMixin, ScopedModelAdmin):
    """The delivery log: every attempt's outcome, read-only."""

    list_display = (
        "created_at",
        "webhook",
        "event_kind",
        "status",
        "attempts",
        "response_status",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "event__kind", "webhook__organisation", "webhook")
    list_select_related = ("webhook__organisation", "event")
    search_fields = ("webhook__url", "webhook__organisation__code", "uuid", "last_error")
    readonly_fields = (
        "webhook",
        "event",
        "uuid",
        "status",
        "attempts",
        "due_at",
        "claimed_at",
        "sent_at",
        "response_status",
        "response_body",
        "request_body",
        "last_error",
        "created_at",
    )
    fields = readonly_fields
    ordering = ("-created_at", "-pk")

    @admin.display(description=_("event"), ordering="event__kind")
    def event_kind(self, obj):
        return obj.event.get_kind_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
