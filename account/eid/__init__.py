"""The Bürgerkonto with the Online-Ausweis: login, registration, linking and step-up.

``card`` translates the connector's result into account's own :class:`~account.eid.card.
CardReading`; ``links`` keeps the cards linked to accounts; ``flows`` decides what a finished
card reading means for the browser that started it. The pages are in ``account/views/eid.py``.
Nothing of ``connectors.eid`` leaves ``account``.
"""
