import { setupServer } from "msw/node";
import { smsGatewayHandlers } from "./sms-gateway";

/**
 * One msw server for the external HTTP services (the SMS gateway; email goes over real SMTP to
 * test/support/smtp-relay.ts); the database and pg-boss are never mocked.
 */
export const mockServer = setupServer(...smsGatewayHandlers);
