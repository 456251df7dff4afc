"""Payment provider simulators (development and tests): standalone apps that speak the HTTP
interfaces of a PayPal-shaped provider (:mod:`connectors.payment.paypal_simulator`) and a
GiroCheckout-shaped one (:mod:`connectors.payment.giro_simulator`), each with a page where a
person approves or declines, signed notifications, and a control page that resends them.

The provider *clients* live in ``services/kit/payment/`` (a service never imports the hub);
they reach these simulators over HTTP exactly as they would reach the real providers.
"""
