"""The app's routers, one module per audience: public pages, feeds, subscribers, admin, ops."""
