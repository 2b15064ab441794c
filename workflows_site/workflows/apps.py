from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows_site.workflows"
    label = "workflows"
