"""A paginator for lists that can be very long: it counts up to a cap, so a page of an organisation's
million assignments costs a bounded count, not a full one ("10,000+ items")."""

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.formats import number_format


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 rows (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`); beyond the cap `is_capped`
    is true, `count` is the cap and `count_text` reads "10,000+" (in German "10.000+")."""

    def __init__(self, object_list, per_page, *, cap: int = 10_000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        rows: QuerySet = self.object_list  # type: ignore[assignment]  # a queryset, not any sequence
        return rows.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def is_capped(self) -> bool:
        return self._counted > self.cap

    @property
    def count_text(self) -> str:
        """The count with the language's thousands separator: "10,000+", "10.000+"."""
        if self.is_capped:
            return number_format(self.cap, force_grouping=True) + "+"
        return number_format(self.count, force_grouping=True)
