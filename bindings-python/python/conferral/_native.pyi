from typing import Callable, List, Optional, Tuple, final

__all__ = [
    "DEFAULT_BASE_URL", "DEFAULT_SENDER", "NativeIssuer", "__version__", "analyze", "template",
    "error_report", "check_group", "parse_mailbox", "error_kinds",
]
__version__: str
DEFAULT_BASE_URL: str
DEFAULT_SENDER: str

def analyze(
    data: bytes,
    group_json: str,
    options_json: str,
    progress: Optional[Callable[[str, int, int, int], object]] = None,
) -> str: ...
def template(group_json: str, format: str) -> bytes: ...
def error_report(report_json: str, format: str) -> bytes: ...
def check_group(group_json: str) -> str: ...
def parse_mailbox(text: str) -> Tuple[str, str]: ...
def error_kinds() -> List[str]: ...

@final
class NativeIssuer:
    def __new__(cls, store: str, path: Optional[str], config_json: str) -> "NativeIssuer": ...
    def import_roster(
        self,
        data: bytes,
        group_json: str,
        options_json: str,
        publish: bool,
        actor: str,
        progress: Optional[Callable[[str, int, int], object]] = None,
    ) -> str: ...
    def credentials(self, query_json: str) -> str: ...
    def show(self, id: str) -> str: ...
    def edit(self, id: str, values_json: str, actor: str) -> str: ...
    def preview(self, id: str) -> str: ...
    def publish(
        self,
        ids: Optional[List[str]],
        batch: Optional[str],
        all: bool,
        actor: str,
        progress: Optional[Callable[[str, int, int], object]] = None,
    ) -> str: ...
    def deliver(
        self,
        kind: str,
        target: Optional[str],
        mailer: Optional[object] = None,
        limit: Optional[int] = None,
        progress: Optional[Callable[[str, int, int], object]] = None,
    ) -> str: ...
    def resend(self, ids: List[str]) -> str: ...
    def status(self) -> str: ...
