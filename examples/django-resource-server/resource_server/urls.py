from django.urls import path

from . import views

urlpatterns = [
    path("healthz", views.Health.as_view()),
    path("invoices", views.Invoices.as_view()),
    path("reports/total", views.Report.as_view()),
]
