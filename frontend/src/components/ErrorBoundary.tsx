import { Component, type ErrorInfo, type ReactNode } from "react";
import { errorMessage } from "../api";
import { href } from "../router";

interface Props {
  children: ReactNode;
  /** When this changes (e.g. the route), a shown error is cleared and the children render again. */
  resetKey?: string;
}

interface State {
  error: unknown;
  failedKey: string | undefined;
}

/**
 * Catches a render error below it and shows what went wrong with a way back, instead of
 * React unmounting the whole app to a blank page.
 */
export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: undefined, failedKey: undefined };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error ?? new Error("Unknown error") };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (state.error === undefined) return null;
    if (state.failedKey === undefined) return { failedKey: props.resetKey };
    return props.resetKey !== state.failedKey ? { error: undefined, failedKey: undefined } : null;
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.warn("Coverscope: a view failed to render", error, info.componentStack);
  }

  render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div className="error-box" role="alert">
        <h2>Something went wrong on this page</h2>
        <p>
          <strong>{errorMessage(this.state.error)}</strong>
        </p>
        <p>The rest of the app still works. Try again, or go back to the home page.</p>
        <p className="actions">
          <button
            type="button"
            className="button"
            onClick={() => this.setState({ error: undefined, failedKey: undefined })}
          >
            Try again
          </button>{" "}
          <a className="button" href={href("/")}>
            Back to home
          </a>
        </p>
      </div>
    );
  }
}
