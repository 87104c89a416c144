"""HTTP handlers, grouped by area. Each handler parses the request, calls the domain and
renders; the domain modules in compass/ know nothing of HTTP."""
