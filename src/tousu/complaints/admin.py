# Complaints and complainants are not in the admin on purpose: every change must go
# through the services (timeline, audit, visibility), which the admin would bypass.
