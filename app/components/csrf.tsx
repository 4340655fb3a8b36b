import { useRouteLoaderData } from "@remix-run/react";

interface RootData {
  user: { csrfToken: string } | null;
}

export function useCsrfToken(): string {
  const data = useRouteLoaderData<RootData>("root");
  return data?.user?.csrfToken ?? "";
}

/** Put inside every mutating <Form method="post">: the server refuses a post without it. */
export function CsrfInput() {
  return <input type="hidden" name="_csrf" value={useCsrfToken()} />;
}
