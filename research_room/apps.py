from django.apps import AppConfig


class ResearchRoomConfig(AppConfig):
    name = "research_room"
    verbose_name = "Research room"
