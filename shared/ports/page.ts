/** A page of results as the data layer returns it; `continue` is the opaque token of the next page. */
export interface Page<T> {
  items: T[];
  continue?: string;
  total?: number;
}
