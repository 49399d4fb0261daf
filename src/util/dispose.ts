/** Something that releases resources; matches vscode.Disposable so the core needs no `vscode` import. */
export interface IDisposable {
  dispose(): void;
}

export function disposeAll(disposables: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const d of disposables) {
    try {
      d.dispose();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "Several disposables failed to dispose");
}

export abstract class Disposable implements IDisposable {
  private _isDisposed = false;
  protected _disposables: IDisposable[] = [];

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    const list = this._disposables;
    this._disposables = [];
    disposeAll(list);
  }

  /** Keeps `value` until this object is disposed; disposes it at once if this object already is. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }
}
