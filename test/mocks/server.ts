import { setupServer } from "msw/node";
import { emailProviderHandlers } from "./email-provider";
import { smsGatewayHandlers } from "./sms-gateway";

/** One msw server for the external HTTP services; the database and pg-boss are never mocked. */
export const mockServer = setupServer(...emailProviderHandlers, ...smsGatewayHandlers);
