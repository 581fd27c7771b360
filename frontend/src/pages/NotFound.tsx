import { EmptyState } from "../components/Status";
import { Link } from "../router";

export function NotFoundPage() {
  return (
    <EmptyState title="Page not found">
      <p>
        This address does not match a page. <Link to="/">Go to the home page</Link>.
      </p>
    </EmptyState>
  );
}
