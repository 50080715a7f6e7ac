from django.db import models


class ActivityKind(models.TextChoices):
    """Kinds of risk communication (风险交流) the bureau logs."""

    INTERVIEW = "interview", "采访"
    POPULAR_SCIENCE = "popular_science", "专家科普"
    MEDIA_BRIEFING = "media_briefing", "新闻发布会"
    OTHER = "other", "其他"


ACTION_LABELS = {"create": "登记风险交流", "update": "修改风险交流"}

# Files a record may carry: texts, slides, spreadsheets, pictures, short clips.
ATTACHMENT_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".ppt",
    ".pptx",
    ".xls",
    ".xlsx",
    ".txt",
    ".jpg",
    ".jpeg",
    ".png",
    ".webp",
    ".mp3",
    ".mp4",
)
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
