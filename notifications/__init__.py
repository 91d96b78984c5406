"""Notifications: who is told what, by e-mail, in the dashboard and through partners' webhooks.

- **Events** are written by oap's and reporting's services in the transaction of the change, as
  outbox messages naming `notifications.record_event` (`oap.events`); this app records each one
  once and makes what it causes (`services`).
- **Notifications** go to the users an event concerns, as the access rule says: a submission to
  the users who may validate it; a validation or a return (with its reason) to the reporting
  organisation's coordinators; deadline reminders to the coordinators whose organisation still
  owes figures; a weekly digest to drivers and the hub (`schedule`). Each user chooses, per kind,
  immediately, a daily digest, or off (`Preference`). They are listed in the admin, with the
  unread ones counted on the dashboard.
- **E-mails** (plain text and HTML, Django's e-mail backend) carry them; **webhooks** POST the
  events an organisation may see to its system, signed (`webhooks`).
- Nothing is ever rendered before asking `oap.access` what the recipient may see at that moment
  (`visibility`, `rendering`).
- Delivery state is kept per recipient in the database; what a dead worker leaves behind, and
  what is guaranteed at which step, is in `delivery`.
"""
