/** Whether the service is still reachable (browser mode loses it when the server stops). */
export class Connection {
  lost = $state(false);
}

export const connection = new Connection();
