"""Payment before submission: the providers' *client* code a service uses.

Decision (issue 7): the provider interface and the HTTP clients live here in the kit, so a
service never imports the hub's ``connectors/``; the provider *simulators* live in
``connectors/payment/`` as standalone apps that speak the providers' HTTP interfaces. A service
talks to a simulator exactly as it would talk to PayPal or GiroCheckout. See docs/SERVICES.md.
"""
