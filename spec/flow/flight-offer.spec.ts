import { Flights, type Outcome } from '../../lib/flow/flights';

/** A racing flight's answer goes to the silent flight's waiters at once, whatever their own timers. */
describe('flights', () => {
  it('an answer the racing flight got first is offered to those still waiting on the silent one', () => {
    const flights = new Flights();
    const silentLeader = flights.lead('k', 0);
    const silent = flights.join('k', Number.POSITIVE_INFINITY);
    if (!silent) throw new Error('no flight');
    const seen: Outcome[] = [];
    silent.wait((o) => seen.push(o)); // a waiter whose own wait has not run out yet
    const racer = flights.lead('k', 0, silent);
    const answer: Outcome = { kind: 'error', error: new Error('x'), meta: { state: 'failed' } };
    racer.publish(answer);
    expect(seen).toEqual([answer]);
    silentLeader.publish({ kind: 'retry' }); // too late: nobody is left to take it
    expect(seen).toHaveLength(1);
  });

  it('a racing flight’s alone or retry is not offered: each waiter keeps its own course', () => {
    const flights = new Flights();
    flights.lead('k', 0);
    const silent = flights.join('k', Number.POSITIVE_INFINITY);
    if (!silent) throw new Error('no flight');
    const seen: Outcome[] = [];
    silent.wait((o) => seen.push(o));
    flights.lead('k', 0, silent).publish({ kind: 'alone' });
    expect(seen).toEqual([]);
  });
});
