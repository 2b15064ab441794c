from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "alarms_site.alarms"
    label = "alarms"

    def ready(self) -> None:
        """The KPI gauges join /metrics (only the web view reads ``ON_SCRAPE``, so bridges never run them)."""
        from alarms_site.alarms.kpis_metrics import AlarmKpiCollector
        from sitekit.webmetrics import ON_SCRAPE

        ON_SCRAPE.register(AlarmKpiCollector())
